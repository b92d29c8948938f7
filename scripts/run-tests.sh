#!/usr/bin/env bash
# README command 2: install dependencies, build everything, run every test, then build
# examples/consumer against the installed package and as a subproject (check-consumer.sh).
# Then builds the unit, deterministic, storage and multi-process suites again with ASan + UBSan (in
# build-asan/) and runs them; CAF_CLUSTER_SANITIZE=0 skips that pass.
# Both passes run the multi-process suites twice: on SQLite files (label multiprocess) and on a
# throw-away PostgreSQL server (label multiprocess-pg; CTest's `postgres` fixture starts it with
# scripts/postgres-server.sh in <build>/postgres and stops it again).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
start=$(date +%s)
cmake -S . -B build -G Ninja >/dev/null
cmake --build build
echo "build: $(( $(date +%s) - start )) s"
(cd build && ctest --output-on-failure --timeout 600)
# A user's project against the installed package, then with this tree as its subproject.
bash scripts/check-consumer.sh --build-dir build
bash scripts/check-consumer.sh --build-subproject
if [[ "${CAF_CLUSTER_SANITIZE:-1}" == "1" ]]; then
  cmake -S . -B build-asan -G Ninja -DCAF_CLUSTER_SANITIZE=ON \
    -DCAF_CLUSTER_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan --target unit_tests deterministic_tests storage_tests cluster-ctl \
    seed_runner_storage seed_workflow_storage multiprocess_tests counter-node counter-cli services-node \
    counter-local counter_tests
  # Seeded tests run 10 seeds here (100-200 in the release pass above): under
  # ASan a simulated day of cron costs about 7 s per seed.
  # The label regex also selects multiprocess-pg and, through its fixture, the server.
  # libpq's own leaks on broken connections are suppressed (the file says why).
  export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}
  (cd build-asan && CAF_CLUSTER_SEEDS=${CAF_CLUSTER_SANITIZE_SEEDS:-10} \
    ctest --output-on-failure --timeout 600 -L 'unit|deterministic|storage|multiprocess')
fi
