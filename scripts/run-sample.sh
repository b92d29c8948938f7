#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the samples: the
# counter in one process (counter-local), then as a cluster of three runner
# processes on 127.0.0.1 driven by counter-cli (samples/counter/run-cluster.sh),
# then a singleton and a cluster cron job on three runners, one of them killed
# (samples/services/run-services.sh), then the order-processing workflow on
# three runners, the runner of a running order killed
# (samples/orders/run-orders.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target counter-local counter-node counter-cli cluster-ctl \
  services-node orders-node orders-cli
./build/samples/counter/counter-local
bash samples/counter/run-cluster.sh build
bash samples/services/run-services.sh build
bash samples/orders/run-orders.sh build
