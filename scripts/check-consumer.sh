#!/usr/bin/env bash
# Builds examples/consumer the two ways a user adopts caf-cluster, and runs its ctest:
#   scripts/check-consumer.sh [--build-dir DIR]   install into build-consumer/prefix (emptied
#       first), then find_package(caf_cluster 0.2 CONFIG) from it. With --build-dir, DIR (an already
#       configured tree, e.g. build) is built and installed; without, a library-only tree
#       in build-consumer/ (kept, so a second run builds nothing).
#   scripts/check-consumer.sh --build-subproject  caf-cluster as the consumer's
#       add_subdirectory: also checks that none of our tests is registered in the consumer's
#       ctest, that its build type is left empty and that no sample or tool is built.
# The consumer builds in build-consumer/ too (its CMake cache is made anew each run). Builds
# use $CMAKE_BUILD_PARALLEL_LEVEL jobs (default 2). Prints one result line; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
mode=install
build_dir=""
while (($#)); do
  case $1 in
    --build-subproject) mode=subproject ;;
    --build-dir) build_dir=$2; shift ;;
    *) echo "check-consumer: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
work=$repo/build-consumer
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
fail() {
  echo "check-consumer ($mode): FAILED: $1 (log below)" >&2
  tail -40 "$log" >&2
  exit 1
}
cmake_args=(-G Ninja)
command -v ccache >/dev/null && cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

consumer=$work/$mode
mkdir -p "$consumer"
rm -f "$consumer/CMakeCache.txt"
if [[ $mode == install ]]; then
  if [[ -z $build_dir ]]; then
    build_dir=$work/library
    cmake -S . -B "$build_dir" "${cmake_args[@]}" -DCAF_CLUSTER_BUILD_TESTS=OFF \
      -DCAF_CLUSTER_BUILD_BENCH=OFF -DCAF_CLUSTER_BUILD_SAMPLES=OFF \
      -DCAF_CLUSTER_BUILD_TOOLS=OFF >"$log" 2>&1 || fail "configuring caf-cluster"
  fi
  cmake --build "$build_dir" >>"$log" 2>&1 || fail "building caf-cluster"
  rm -rf "$work/prefix"
  cmake --install "$build_dir" --prefix "$work/prefix" >>"$log" 2>&1 \
    || fail "installing caf-cluster"
  files=$(find "$work/prefix" -type f | wc -l)
  cmake -S examples/consumer -B "$consumer" "${cmake_args[@]}" \
    -DCMAKE_PREFIX_PATH="$work/prefix" >>"$log" 2>&1 \
    || fail "configuring the consumer with find_package"
else
  # No CMAKE_BUILD_TYPE on purpose: caf-cluster must not set one for us.
  cmake -S examples/consumer -B "$consumer" "${cmake_args[@]}" \
    -DCAF_CLUSTER_SOURCE_DIR="$repo" >>"$log" 2>&1 \
    || fail "configuring the consumer with add_subdirectory"
fi
cmake --build "$consumer" >>"$log" 2>&1 || fail "building the consumer"
(cd "$consumer" && ctest --output-on-failure) >>"$log" 2>&1 || fail "the consumer's ctest"
tests=$(cd "$consumer" && ctest -N | sed -n 's/^ *Test *#[0-9]*: //p')
[[ -n $tests ]] || fail "the consumer's ctest lists no test"
count=$(echo "$tests" | grep -c .)

if [[ $mode == install ]]; then
  echo "check-consumer (install): installed $files files into build-consumer/prefix; consumer built with find_package(caf_cluster 0.2); ctest: $count test(s) passed ($(echo $tests))"
  exit 0
fi
[[ $tests == bank_account_tests ]] \
  || fail "the consumer's ctest lists more than its own test: $(echo $tests)"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$consumer/CMakeCache.txt")
[[ -z $build_type ]] || fail "CMAKE_BUILD_TYPE was set to '$build_type'"
targets=$(cmake --build "$consumer" --target help)
for program in counter-node cluster-ctl unit_tests cluster-bench; do
  if grep -q "^$program:" <<<"$targets"; then
    fail "the subproject defines $program"
  fi
done
# EXCLUDE_FROM_ALL: the consumer links core, so no other component is built.
built=$(ninja -C "$consumer" -t inputs all | sed -n 's|.*/\(libcaf_cluster_[a-z_]*\.a\)$|\1|p' | sort -u | xargs)
[[ $built == "libcaf_cluster_core.a libcaf_cluster_storage.a" ]] \
  || fail "EXCLUDE_FROM_ALL should build core and storage only, built: $built"
echo "check-consumer (subproject): consumer built with add_subdirectory(... EXCLUDE_FROM_ALL); built only $built; ctest: only its own test ($tests) registered and passed; no sample, tool, bench or test target of caf-cluster; CMAKE_BUILD_TYPE left empty"
