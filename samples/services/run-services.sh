#!/usr/bin/env bash
# Singletons and cluster cron on a real cluster: three services-node runners
# on free loopback ports sharing a fresh SQLite file. Each registers the
# "reporter" singleton and the every-second "heartbeat" cron; the script shows
# which runner runs them, kills the singleton's runner with -9, and shows
# both carrying on elsewhere. Every process it starts is stopped again.
#
#   bash samples/services/run-services.sh [BUILD_DIR]    # default: build
set -euo pipefail

build=${1:-build}
node=$build/samples/services/services-node
ctl=$build/tools/cluster-ctl
dir=$(mktemp -d "${TMPDIR:-/tmp}/services-cluster.XXXXXX")
# CAF_CLUSTER_STORAGE=postgresql://USER@HOST:PORT/DB?schema=NAME puts the
# cluster on PostgreSQL instead (an empty schema; the password through
# PGPASSWORD or password-file=, never in the URI).
storage=${CAF_CLUSTER_STORAGE:-sqlite:$dir/cluster.db}

source "$(dirname "$0")/../runners.sh"
require_programs "$node" "$ctl"

# Prints the lines it reads: the singleton's first, then the ticks in time
# order.
in_order() {
  local lines
  lines=$(grep -v '^ready ' || true)
  grep "singleton" <<<"$lines" || true
  grep " tick " <<<"$lines" | sort -k5,5 || true
}

# Prints what runner $1 printed after its first $2 lines.
output_of() {
  tail -n +"$(($2 + 1))" "$dir/runner-$1.out"
}

for n in 1 2 3; do
  start_runner "$n"
done
echo "Started 3 runners: ${addresses[*]}"
await_even_shards
sleep 4
echo "--- the first seconds: one reporter, each tick on one runner ---"
for n in 1 2 3; do output_of "$n" 0; done | in_order

holder=""
for n in 1 2 3; do
  out=$dir/runner-$n.out
  if (( $(grep -c "reporter' started" "$out") > $(grep -c "reporter' stopped" "$out") )); then
    holder=$n
  fi
done
if [[ -z $holder ]]; then
  echo "run-services.sh: no runner runs the reporter singleton" >&2
  exit 1
fi
lines=()
for n in 1 2 3; do
  lines+=("$(wc -l <"$dir/runner-$n.out")")
done
echo "--- kill -9 ${addresses[$((holder - 1))]}, which runs the reporter ---"
# In a group with stderr closed: bash reports the killed job there.
{
  kill -KILL "${pids[$((holder - 1))]}"
  wait "${pids[$((holder - 1))]}" || true
} 2>/dev/null
unset "pids[$((holder - 1))]"
pids=("${pids[@]}")
sleep 5
for n in 1 2 3; do
  [[ $n == "$holder" ]] || output_of "$n" "${lines[n - 1]}"
done | in_order
stop_runners
echo "Stopped the other 2 runners."
