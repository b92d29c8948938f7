# Compiles SOURCE and passes only if compilation fails with EXPECT in the
# compiler's output: a test that cannot pass for the wrong reason (a missing
# header, a typo) because the expected static_assert text must appear.
# Usage: cmake -DCXX=... -DSOURCE=... -DINCLUDES="a;b" -DEXPECT=... -P this
set(args -std=c++17 -fsyntax-only)
foreach(dir IN LISTS INCLUDES)
  list(APPEND args "-I${dir}")
endforeach()
execute_process(COMMAND "${CXX}" ${args} "${SOURCE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
string(FIND "${out}" "${EXPECT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed without \"${EXPECT}\":\n${out}")
endif()
message(STATUS "failed as expected: ${EXPECT}")
