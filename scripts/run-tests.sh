#!/usr/bin/env bash
# README command 2: install dependencies, build, run every test once, then build
# examples/consumer against the installed package and as a subproject (check-consumer.sh).
#
# Two trees, each test in one of them:
#   build-asan/  Debug with ASan + UBSan (every finding fatal): the in-process layers (labels unit,
#                deterministic, storage) and the cluster-ctl tests, two at a time (ctest -j2:
#                they use neither wall clock nor fixed ports). Each source file of doctest cases
#                is one CTest test there (CAF_CLUSTER_CTEST_PER_FILE: a sanitizer build's
#                executable takes about 0.5 s to start, paid per test). Seeded tests run 10 seeds here
#                (CAF_CLUSTER_SANITIZE_SEEDS=n for more): under ASan a simulated day of cron costs
#                about 7 s per seed.
#   build/       Release: the programs, the benchmark, the counter sample's tests, the headers,
#                docs and compile-failure checks (two at a time), then the multi-process suites,
#                optimized because they measure failover bounds in seconds, which the
#                sanitizers' 2-3x slowdown would turn into noise. They run two at a time (a
#                cluster test keeps a core busy a tenth of the time), except the suites that
#                assert such a bound, which CTest runs alone (RUN_SERIAL, tests/multiprocess.cmake).
#                They run on SQLite files with the socket transport (label multiprocess), again
#                on the websocket and http transports (label multiprocess, names prefixed
#                websocket: and http:) and on a throw-away PostgreSQL server (label
#                multiprocess-pg; CTest's `postgres` fixture starts it with
#                scripts/postgres-server.sh in <build>/postgres and stops it again).
# CAF_CLUSTER_SANITIZE=0 skips the sanitizer tree; build/ then builds and runs the in-process
# layers itself (with 100-200 seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
start=$(date +%s)
elapsed() { echo "run-tests: $1 after $(($(date +%s) - start)) s"; }

sanitize=${CAF_CLUSTER_SANITIZE:-1}
if [[ $sanitize == 1 ]]; then
  cmake -S . -B build-asan -G Ninja -DCAF_CLUSTER_SANITIZE=ON -DCAF_CLUSTER_CTEST_PER_FILE=ON \
    -DCAF_CLUSTER_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
  # The programs the command-line tests run; the sample's own tests and the programs the
  # multi-process suites start are built in build/ only (their tests are not selected here).
  cmake --build build-asan --target unit_tests deterministic_tests storage_tests cluster-ctl \
    seed_runner_storage seed_workflow_storage
  elapsed "sanitizer build"
  # libpq's own leaks on broken connections are suppressed (the file says why).
  export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}
  (cd build-asan && CAF_CLUSTER_SEEDS=${CAF_CLUSTER_SANITIZE_SEEDS:-10} \
    ctest -j2 --output-on-failure --timeout 600 -L 'unit|deterministic|storage')
  elapsed "sanitizer tests"
  in_process=OFF
else
  in_process=ON
fi

cmake -S . -B build -G Ninja -DCAF_CLUSTER_BUILD_IN_PROCESS_TESTS=$in_process >/dev/null
cmake --build build
elapsed "release build"
(cd build && ctest -j2 --output-on-failure --timeout 600 -LE 'multiprocess')
(cd build && ctest -j2 --output-on-failure --timeout 600 -L 'multiprocess')
elapsed "release tests"
# A user's project against the installed package, then with this tree as its subproject.
bash scripts/check-consumer.sh --build-dir build
bash scripts/check-consumer.sh --build-subproject
elapsed "consumer checks"
