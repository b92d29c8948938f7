# Run after each build of a test executable by caf_cluster_discover_suites
# (doctest_suites.cmake): lists its cases in SUITES minus EXCLUDE and writes
# the add_test calls to CTEST_FILE; the cases of the suites in SERIAL get
# RUN_SERIAL.
cmake_policy(VERSION 3.22)
set(filters "")
if(EXCLUDE)
  list(APPEND filters "--test-suite-exclude=${EXCLUDE}")
endif()
if(CASE_EXCLUDE)
  list(APPEND filters "--test-case-exclude=${CASE_EXCLUDE}")
endif()

# The names of the cases in the suites matching `suites` that `filters` keep.
function(list_cases out suites)
  execute_process(
    COMMAND "${TEST_EXECUTABLE}" "--test-suite=${suites}" ${filters}
            --list-test-cases
    OUTPUT_VARIABLE output
    RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${TEST_EXECUTABLE} --list-test-cases failed: ${output}")
  endif()
  string(REPLACE "\n" ";" lines "${output}")
  set(cases "")
  foreach(line IN LISTS lines)
    if(NOT (line STREQUAL "" OR line MATCHES "^\\[doctest\\] " OR line MATCHES "^=+$"))
      list(APPEND cases "${line}")
    endif()
  endforeach()
  set(${out} "${cases}" PARENT_SCOPE)
endfunction()

list_cases(lines "${SUITES}")
# doctest joins repeated --test-suite filters with "or", so the serial cases
# are listed on their own and then looked up among `lines`.
set(serial "")
if(SERIAL)
  list_cases(serial "${SERIAL}")
endif()
list(PREPEND filters "--test-suite=${SUITES}")
set(script "")
set(names "")
set(serial_names "")
foreach(line IN LISTS lines)
  if(line IN_LIST serial)
    string(APPEND serial_names " [==[${PREFIX}${line}]==]")
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
if(serial_names)
  string(APPEND script "set_tests_properties(${serial_names} PROPERTIES RUN_SERIAL TRUE)\n")
endif()
file(WRITE "${CTEST_FILE}" "${script}")
