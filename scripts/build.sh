#!/usr/bin/env bash
# Configures and builds everything (library, tools, samples, tests, benchmarks)
# into ./build with Ninja. Usage: scripts/build.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja "$@" >/dev/null
cmake --build build
