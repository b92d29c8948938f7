#!/usr/bin/env bash
# Builds the API reference (docs/Doxyfile) and fails on any doxygen warning: a
# public name without a /// comment, a broken reference, a bad command.
# Usage: scripts/check-docs.sh [output dir, default build/api_reference];
# $DOXYGEN names the doxygen program (default: doxygen).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/api_reference}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/warnings.log"
version=$(sed -n 's/^project(caf_cluster VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
export CAF_CLUSTER_DOCS_OUT=$out CAF_CLUSTER_VERSION=$version
if ! "${DOXYGEN:-doxygen}" docs/Doxyfile >"$out/doxygen.log" 2>&1; then
  echo "check-docs: doxygen failed:" >&2
  cat "$out/doxygen.log" >&2
  exit 1
fi
warnings=$(grep -c . "$out/warnings.log" || true)
if ((warnings > 0)); then
  echo "check-docs: $warnings doxygen warning line(s) in the public headers:" >&2
  cat "$out/warnings.log" >&2
  exit 1
fi
echo "check-docs: API reference of caf-cluster $version built without warnings: $out/html/index.html"
