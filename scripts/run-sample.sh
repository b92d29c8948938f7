#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the counter sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target counter-local cluster-ctl
./build/samples/counter/counter-local
