# Compile-fail tests: sources that must be refused with our readable
# static_assert text (label unit).
function(caf_cluster_compile_fail_test name expect)
  add_test(NAME compile_fail.${name}
           COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER}
                   -DSOURCE=${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/${name}.cpp
                   "-DINCLUDES=${PROJECT_SOURCE_DIR}/caf_cluster"
                   "-DEXPECT=${expect}"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/expect_compile_error.cmake)
  set_tests_properties(compile_fail.${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()

caf_cluster_compile_fail_test(ask_wrong_message
  "the entity's interface does not accept this message")
caf_cluster_compile_fail_test(add_entity_without_inspect
  "(T) has no inspect() overload")
