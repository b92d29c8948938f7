#!/usr/bin/env bash
# Checks the public headers (core, storage, cron, workflow, node, gateway, testing): none
# includes an internal/ header, cron/ and workflow/ include nothing internal of
# the core, and each public header
# compiles on its own (so users can include any of them first).
# Usage: scripts/check-headers.sh [compiler]
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${1:-g++}
public=$(ls caf_cluster/caf_cluster/*.hpp caf_cluster/caf_cluster/detail/*.hpp \
  storage/caf_cluster/storage/*.hpp cron/caf_cluster/cron/*.hpp \
  workflow/caf_cluster/workflow.hpp workflow/caf_cluster/workflow/*.hpp \
  workflow/caf_cluster/workflow/detail/*.hpp \
  testing/caf_cluster/testing/*.hpp node/caf_cluster/node/*.hpp \
  gateway/caf_cluster/gateway/*.hpp)
status=0
if grep -n '#include "caf_cluster/internal/\|#include "caf_cluster/storage/internal/\|#include "caf_cluster/node/internal/\|#include "caf_cluster/workflow/internal/' $public; then
  echo "check-headers: public headers above include internal headers" >&2
  status=1
fi
if grep -rn '#include "caf_cluster/internal/' cron/ workflow/; then
  echo "check-headers: cron/ or workflow/ includes internal headers (above)" >&2
  status=1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export cxx tmp
check_one() {
  local h=$1
  local tu="$tmp/$(echo "$h" | tr '/.' '__').cpp"
  printf '#include "%s"\n' "${h#*/}" > "$tu"
  if ! "$cxx" -std=c++17 -fsyntax-only -Icaf_cluster -Istorage -Icron -Iworkflow -Itesting -Inode -Igateway "$tu" 2> "$tu.err"; then
    echo "check-headers: $h does not compile on its own:" >&2
    head -5 "$tu.err" >&2
    return 1
  fi
}
export -f check_one
if ! printf '%s\n' $public | xargs -P "$(nproc)" -I{} bash -c 'check_one {}'; then
  status=1
fi
[[ $status == 0 ]] && echo "check-headers: $(echo "$public" | wc -l) public headers self-contained, none includes internal/"
exit $status
